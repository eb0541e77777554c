import type { Metrics } from '../metrics.js';

/** Metrics that count nothing, for unit tests of the layers that report them. */
export const noopMetrics: Metrics = {
  socketOpened() {},
  socketClosed() {},
  upgradeRefused() {},
  sessionStarted() {},
  sessionEnded() {},
  frameRelayed() {},
  frameQueued() {},
  errorSent() {},
};
