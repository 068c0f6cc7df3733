// transformers.js imports sharp for image inputs only; Muse sends text. The
// Lambda bundle aliases `sharp` to this module so no native image library
// (and no x64 binary) ships. transformers.js refuses to load when its sharp
// import is empty ("Unable to load image processing library"), so this is a
// function: it satisfies that check and fails only if an image is ever read.
export default function sharp() {
  throw new Error(
    'Muse bundles no image library: transformers.js image inputs are not supported in this function.',
  );
}
