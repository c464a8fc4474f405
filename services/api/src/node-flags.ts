/**
 * The V8 flags the API runs with, everywhere it runs: `npm start`, the image's CMD, `npm run dev`
 * and `npm run bench` (test/node-flags.test.ts keeps the copies equal).
 *
 * With V8's defaults a loaded API's young generation grows to large semi-spaces and its old
 * generation fills with promoted garbage to several times the live heap before a full collection;
 * smaller semi-spaces and an old generation allowed to grow by half its live size keep the peak
 * resident memory far lower for a small rise in GC time. The measurements are in
 * docs/performance.md (the cached read's "Memory" finding).
 */
export const API_NODE_FLAGS = ['--max-semi-space-size=8', '--heap-growing-percent=50'] as const;
