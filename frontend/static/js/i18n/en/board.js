// en: board
export default {
};
