// The messenger detection the entry script needs is in in-app-browser.ts: this module is the UI
// chunk's only, so that chunk imports nothing from the (inline) entry script.

/** Which browser's permission steps to show. */
export type BrowserKind = 'android-chrome' | 'ios-safari' | 'desktop-chrome' | 'desktop-firefox' | 'desktop-safari';

/** The nearest of the browsers we have drawn steps for. */
export function detectBrowser(userAgent: string): BrowserKind {
  const ios = /iPhone|iPad|iPod/i.test(userAgent);
  if (ios) return 'ios-safari';
  if (/Android/i.test(userAgent)) return 'android-chrome';
  if (/Firefox\//i.test(userAgent)) return 'desktop-firefox';
  if (/Safari\//i.test(userAgent) && !/Chrome\/|Chromium\/|Edg\//i.test(userAgent)) return 'desktop-safari';
  return 'desktop-chrome';
}

/** Phones get the phone's way out of a messenger (⋮ on Android, Safari on iPhone). */
export const isIos = (userAgent: string) => /iPhone|iPad|iPod/i.test(userAgent);
