/**
 * What `ficta <agent>` exits with. The agent's own code passes through (0 on success, 1 on
 * failure, 2 for its usage errors, 128+n when killed by signal n); ficta's own outcomes use codes
 * the agents never exit with (BSD sysexits), so a pipeline can tell them apart. docs/ci.md has the table.
 */

/** At least one model request was refused by the gate: it would have carried a protected value. */
export const BLOCKED_EXIT = 65;
/** ficta itself could not run: its home, key or logs are unwritable, or an internal error. */
export const FICTA_FAILED_EXIT = 70;
/** ficta refused to launch the agent: registry.require unmet, disabled under require, bad config, a route around ficta. */
export const REFUSED_EXIT = 78;
/** A usage or configuration error (a bad flag, an invalid config file), as every command uses. */
export const USAGE_EXIT = 2;
