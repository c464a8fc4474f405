/**
 * The V8 flags the API runs with, everywhere it runs: `npm start`, the image's CMD, `npm run dev`
 * and `npm run bench` (test/node-flags.test.ts keeps the copies equal).
 *
 * Measured with `npm run bench` (README "Performance"): with V8's defaults a loaded API peaks near
 * 225 MiB, for about 30 MiB of live heap. The young generation grows to 2 x 16 MiB semi-spaces,
 * and the old generation is left to grow with promoted garbage until it is several times the live
 * heap. Semi-spaces of 4 MiB and an old generation allowed to grow by half its live size before
 * a full collection keep the peak near 115 MiB, for no measurable CPU per request.
 */
export const API_NODE_FLAGS = ['--max-semi-space-size=4', '--heap-growing-percent=50'] as const;
