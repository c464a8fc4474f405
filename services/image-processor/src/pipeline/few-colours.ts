/**
 * Distinct colours above which an image is treated as a photo and no lossless encode is tried:
 * a palette's 256 plus the blended edges a downscale or anti-aliasing adds to line art and logos,
 * where a photo of any size has tens of thousands.
 */
export const FEW_COLOURS = 1024;

/**
 * Whether raw 8-bit pixels (1-4 channels, alpha included) hold at most `limit` distinct colours.
 * It stops at the first colour past the limit, so a photo costs a few thousand pixels' work, and
 * a run of one colour (a flat background) costs a comparison per pixel.
 */
export function hasFewColours(data: Uint8Array, channels: number, limit = FEW_COLOURS): boolean {
  if (channels < 1 || channels > 4) return false;
  const seen = new Set<number>();
  let previous = -1;
  for (let i = 0; i + channels <= data.length; i += channels) {
    let colour = 0;
    for (let c = 0; c < channels; c++) colour = colour * 256 + (data[i + c] as number);
    if (colour === previous) continue;
    previous = colour;
    seen.add(colour);
    if (seen.size > limit) return false;
  }
  return true;
}
