/** Debian's Chromium, never a downloaded one; used by the browser tests and the benchmark. */
export const CHROMIUM = '/usr/bin/chromium';

/**
 * The flags every headless Chromium here runs with (browser tests and bench/browser): no GPU,
 * no sandbox, no background traffic of its own, and a fake camera and microphone.
 */
export const CHROMIUM_FLAGS: readonly string[] = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--use-fake-device-for-media-stream',
];

/** Answers camera and microphone prompts with "allow". */
export const FAKE_UI_FLAG = '--use-fake-ui-for-media-stream';
