/**
 * A user's regular expression (a name filter, a log option), or undefined where it is not one:
 * docker's filters skip a pattern Go's regexp refuses, so it matches nothing.
 */
export function userRegExp(p: string): RegExp | undefined {
  try {
    return new RegExp(p);
  } catch {
    return undefined;
  }
}
