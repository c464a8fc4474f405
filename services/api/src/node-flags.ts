/**
 * The V8 flags the API runs with, everywhere it runs: `npm start`, the image's CMD, `npm run dev`
 * and `npm run bench` (test/node-flags.test.ts keeps the copies equal).
 *
 * Measured with `npm run bench` and the CPU profiler (README "Performance"): with V8's defaults a
 * loaded API peaks near 225 MiB, for about 30 MiB of live heap. The young generation grows to
 * 2 x 16 MiB semi-spaces, and the old generation is left to fill with promoted garbage to several
 * times the live heap before a full collection. Semi-spaces of 8 MiB and an old generation allowed
 * to grow by half its live size keep the peak near 130 MiB; GC takes about 11 % of the busy
 * samples instead of 9 %. Semi-spaces of 4 MiB saved 10 MiB more but doubled the GC's share.
 */
export const API_NODE_FLAGS = ['--max-semi-space-size=8', '--heap-growing-percent=50'] as const;
