// fr: board
export default {
};
