// transformers.js imports sharp for image inputs only; Muse sends text. The
// Lambda bundle aliases `sharp` to this module so no native image library
// (and no x64 binary) ships; transformers.js sees no sharp and disables images.
export default undefined;
