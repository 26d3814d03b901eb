/** The one way ficta reads an on/off switch, from the environment or the command line. */

export const SWITCH_SPELLINGS = "1/true/yes/on or 0/false/no/off";

/** true, false, or undefined when `text` is not a switch spelling (case-insensitive). */
export function parseSwitch(text: string): boolean | undefined {
  const word = text.trim().toLowerCase();
  if (word === "1" || word === "true" || word === "yes" || word === "on") return true;
  if (word === "0" || word === "false" || word === "no" || word === "off") return false;
  return undefined;
}
