export {
  newEntry,
  redactedTotal,
  type RequestEntry,
  requestLine,
  showWhenQuiet,
  stageClock,
} from "./entry.ts";
export { PID_FILE, pruneSessions, SESSION_DIR } from "./retention.ts";
export { createSession, type Session, type SessionTotals } from "./session.ts";
