/** The built-in TURN server's quotas and caps; each one is a setting (config). */
export interface TurnQuotas {
  /** Concurrent allocations one participant's credential may hold (Chrome makes one per local address). */
  readonly allocationsPerCredential: number;
  /** Concurrent allocations of one call. */
  readonly allocationsPerSession: number;
  /** Concurrent allocations of the whole server. */
  readonly allocationsTotal: number;
  /** Live permissions per allocation. */
  readonly permissionsPerAllocation: number;
  /** Live channel bindings per allocation. */
  readonly channelsPerAllocation: number;
  /** Relayed bytes per second per allocation (token bucket, one second of burst). */
  readonly bytesPerSecPerAllocation: number;
  /** Unauthenticated answers (Binding, 401, 438, 400, 420) per second per source address. */
  readonly answersPerSecPerAddress: number;
}

export const DEFAULT_TURN_QUOTAS: TurnQuotas = Object.freeze({
  allocationsPerCredential: 4,
  allocationsPerSession: 8,
  allocationsTotal: 64,
  permissionsPerAllocation: 16,
  channelsPerAllocation: 16,
  // 4 Mbit/s, a little above what a WebRTC HD call sends each way.
  bytesPerSecPerAllocation: 512 * 1024,
  answersPerSecPerAddress: 20,
});
