/** The environment the system tests read, in one place. */
export const systemTestConfig = {
  /** In CI a missing browser fails the browser tests instead of skipping them. */
  ci: process.env.CI !== undefined && process.env.CI !== '' && process.env.CI !== 'false',
  /** Where screenshots go (default: the git-ignored tests/system/.artifacts). */
  outDir: process.env.OUT_DIR,
};
