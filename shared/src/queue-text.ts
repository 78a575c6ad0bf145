// How a job waiting in the proxy's queue is shown to people (the bot's message, the Mini App).

/** 1 → "1st", 2 → "2nd", 11 → "11th", 23 → "23rd". */
export function ordinal(n: number): string {
  const tens = n % 100;
  const suffix =
    tens >= 11 && tens <= 13 ? 'th' : n % 10 === 1 ? 'st' : n % 10 === 2 ? 'nd' : n % 10 === 3 ? 'rd' : 'th';
  return `${n}${suffix}`;
}

/** "Waiting for a rig (2nd in line)", with the seconds waited so far when given. */
export function waitingForRigText(position: number, waitedMs?: number): string {
  const waited = waitedMs === undefined ? '' : `, ${Math.floor(waitedMs / 1000)} s so far`;
  return `Waiting for a rig (${ordinal(position)} in line${waited})`;
}
