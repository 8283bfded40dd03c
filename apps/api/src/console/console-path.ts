/** Where the job console lives: its page, files, reads and forwarded actions (see console-http.ts). */
export const CONSOLE_PATH = '/console';

/** Whether a request URL (query included) is the console's: /console or anything under it. */
export function isConsoleUrl(url: string): boolean {
  const path = url.split('?', 1)[0];
  return path === CONSOLE_PATH || path.startsWith(`${CONSOLE_PATH}/`);
}
