/**
 * Bun's default is 5 s per test and per hook, and Bun 1.4.4 has no suite-wide setting (no bunfig
 * key; a preload's setDefaultTimeout reaches only the first file). Files whose tests spawn
 * processes, serve loopback HTTP, remove large temp trees or run long seeded loops call
 * `setDefaultTimeout(SLOW_TEST_TIMEOUT_MS)`: on a shared, loaded machine they run many times
 * slower than on a quiet one, and that is not a failure.
 */
export const SLOW_TEST_TIMEOUT_MS = 120_000;
