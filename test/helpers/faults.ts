/**
 * Counts `uncaughtException` and `unhandledRejection` in this process (reliability.md
 * "Survives": both must stay at 0). Call `dispose()` in `after`.
 */
export interface FaultCounter {
  readonly count: number;
  readonly errors: readonly unknown[];
  dispose(): void;
}

export function countFaults(): FaultCounter {
  const errors: unknown[] = [];
  const onFault = (error: unknown) => {
    errors.push(error);
  };
  process.on('uncaughtException', onFault);
  process.on('unhandledRejection', onFault);
  return {
    get count() {
      return errors.length;
    },
    errors,
    dispose() {
      process.off('uncaughtException', onFault);
      process.off('unhandledRejection', onFault);
    },
  };
}
