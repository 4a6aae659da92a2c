// en: documents
export default {
};
