/** ficta's own stderr lines: `report/say.ts` (kept here for the commands' imports). */
export { say } from "../report/say.ts";
