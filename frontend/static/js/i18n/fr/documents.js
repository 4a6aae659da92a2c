// fr: documents
export default {
};
