import type { MediaPort } from '../core/media-port.js';
import { acquireMedia, listDevices, openTrack } from './local-media.js';

/** The MediaPort of a real page: getUserMedia, enumerateDevices and `new MediaStream`. */
export function createBrowserMedia(): MediaPort {
  return {
    acquire: (choice) => acquireMedia(choice),
    openTrack: (kind, deviceId) => openTrack(kind, deviceId),
    listDevices: () => listDevices(),
    streamOf: (tracks) => new MediaStream(tracks),
  };
}
