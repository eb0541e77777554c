/** Choosing where the other person's sound plays (HTMLMediaElement.setSinkId, where it exists). */
export interface AudioOutput {
  /** False where the browser cannot choose (iOS Safari, Firefox before 116): the system decides. */
  canChoose(): boolean;
  list(): Promise<MediaDeviceInfo[]>;
  apply(el: HTMLMediaElement, deviceId: string | null): Promise<void>;
}

type SinkElement = HTMLMediaElement & { setSinkId?: (id: string) => Promise<void> };

/** A loudspeaker among the outputs, by the names browsers give them; null when none is named so. */
export function pickLoudspeaker(outputs: readonly { deviceId: string; label: string }[]): string | null {
  const speaker = outputs.find((d) => /speaker|динамик|громкоговор/i.test(d.label) && !/ear|head|науш/i.test(d.label));
  return speaker?.deviceId ?? null;
}

export function createAudioOutput(): AudioOutput {
  const canChoose = () => typeof HTMLMediaElement !== 'undefined' && 'setSinkId' in HTMLMediaElement.prototype;
  const list = async () => {
    try {
      return (await navigator.mediaDevices.enumerateDevices()).filter((d) => d.kind === 'audiooutput' && d.deviceId);
    } catch {
      return [];
    }
  };
  return {
    canChoose,
    list,
    apply: async (el, deviceId) => {
      const sink = el as SinkElement;
      if (!canChoose() || !sink.setSinkId) return;
      let id = deviceId;
      if (id === null) {
        // No choice made: prefer a loudspeaker if the browser names one (a video call must not
        // come out of the earpiece); otherwise the default output, which is the speaker on phones.
        const outputs = await list();
        id = pickLoudspeaker(outputs) ?? '';
      }
      await sink.setSinkId(id).catch(() => sink.setSinkId?.('').catch(() => {}));
    },
  };
}
