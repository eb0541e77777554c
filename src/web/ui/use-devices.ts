import { useEffect, useState } from 'preact/hooks';
import type { CallController } from '../core/call-controller.js';
import { listDevices, openTrack } from '../media/local-media.js';

/** Cameras and microphones: how many cameras, which is in use, choosing and switching. */
export function useDevices(controller: CallController) {
  const view = controller.view;
  const [cameraCount, setCameraCount] = useState(0);
  // Device changes (a headset plugged in, a camera unplugged): refresh, and replace dead tracks.
  useEffect(() => {
    const refresh = async () => {
      const d = await listDevices();
      setCameraCount(d.cameras.length);
      const local = controller.view.local;
      for (const track of local?.getTracks() ?? []) {
        if (track.readyState === 'ended') {
          const next = await openTrack(track.kind as 'audio' | 'video');
          if (next) await controller.replaceTrack(track.kind as 'audio' | 'video', next);
          controller.toasts.show('mediaDeviceChanged');
        }
      }
    };
    // While the camera is still being opened, enumerateDevices would compete with getUserMedia
    // (and lists no device ids before permission anyway); this runs again once it is open.
    if (view.local || !controller.isInCall) void refresh();
    navigator.mediaDevices?.addEventListener?.('devicechange', refresh);
    return () => navigator.mediaDevices?.removeEventListener?.('devicechange', refresh);
  }, [view.local]);

  const currentId = (kind: 'audio' | 'video') => {
    const track = kind === 'audio' ? view.local?.getAudioTracks()[0] : view.local?.getVideoTracks()[0];
    return track?.getSettings().deviceId ?? controller.preferredDevice(kind);
  };
  const choose = async (kind: 'audio' | 'video', deviceId: string) => {
    if (deviceId === currentId(kind)) return;
    controller.preferDevice(kind, deviceId);
    // Outside a call nothing is opened: the choice applies when the next call starts.
    if (!view.local) return;
    // Phones often cannot open two cameras at once: stop the old one first.
    for (const tr of view.local?.getTracks() ?? []) if (tr.kind === kind) tr.stop();
    const track = await openTrack(kind, deviceId);
    if (track) await controller.replaceTrack(kind, track);
    else controller.toasts.show('mediaBusy', 'warn');
  };
  const switchCamera = async () => {
    const { cameras } = await listDevices();
    if (cameras.length < 2) return;
    const i = cameras.findIndex((c) => c.deviceId === currentId('video'));
    const next = cameras[(i + 1) % cameras.length];
    if (next) await choose('video', next.deviceId);
  };
  return { cameraCount, currentId, choose, switchCamera };
}
