import { randomBytes } from 'node:crypto';
import type { Clock } from '../../shared/clock.js';
import type { Allocation, AllocationTable, TurnClient } from './allocation-table.js';
import { decodeChannelData, encodeChannelData } from './channel-data.js';
import { decodeAddress, encodeAddress, type TransportAddress } from './stun-address.js';
import { encodeStun, getAttribute, type StunMessage } from './stun-message.js';
import { StunAttr, StunClass, StunMethod } from './stun-protocol.js';

/**
 * The data path, switched inside the process: a Send indication or ChannelData from a client
 * reaches only another allocation of the same call, as ChannelData (if that allocation bound a
 * channel to the sender) or a Data indication. Anything else is dropped, so no packet ever
 * leaves towards any other address: there is no relay socket to send one from.
 */
export class TurnRelay {
  readonly #clock: Clock;
  readonly #allocations: AllocationTable;
  /** Data indications need a transaction id each; a random prefix and a counter are enough. */
  readonly #tid = randomBytes(12);
  #counter = 0;

  constructor(options: { clock: Clock; allocations: AllocationTable }) {
    this.#clock = options.clock;
    this.#allocations = options.allocations;
  }

  /** A Send indication (never authenticated: no allocation or no permission means a silent drop). */
  handleSend(message: StunMessage, client: TurnClient): void {
    const from = this.#allocations.ofClient(client.key);
    const peerValue = getAttribute(message, StunAttr.XOR_PEER_ADDRESS);
    const data = getAttribute(message, StunAttr.DATA);
    if (from === undefined || peerValue === undefined || data === undefined) return;
    const peer = decodeAddress(peerValue, message.transactionId);
    if (peer === null || !from.hasPermission(peer.ip, this.#clock.now())) return;
    this.#deliver(from, peer, data);
  }

  /**
   * A ChannelData message from the client whose 5-tuple key this is (the only thing the relay
   * needs of the sender: its allocation; the UDP listener calls this with no client object).
   */
  handleChannelData(bytes: Buffer, clientKey: string): void {
    const from = this.#allocations.ofClient(clientKey);
    const message = decodeChannelData(bytes);
    if (from === undefined || message === null) return;
    const now = this.#clock.now();
    const peer = from.peerOf(message.channel, now);
    if (peer === undefined || !from.hasPermission(peer.ip, now)) return;
    this.#deliver(from, peer, message.data);
  }

  #deliver(from: Allocation, peer: TransportAddress, data: Buffer): void {
    const to = this.#allocations.ofRelayed(peer);
    // The rule that makes this no open relay: only another allocation of the same call.
    if (to === undefined || to === from || to.group !== from.group) return;
    const now = this.#clock.now();
    if (!to.hasPermission(from.relayed.ip, now) || !from.takeBytes(data.length, now)) return;
    const channel = to.channelTo(from.relayedKey, now);
    const out =
      channel !== undefined
        ? encodeChannelData(channel, data, { pad: to.client.stream })
        : this.#dataIndication(from, data);
    to.client.send(out);
  }

  #dataIndication(from: Allocation, data: Buffer): Buffer {
    this.#counter = (this.#counter + 1) >>> 0;
    const transactionId = this.#tid;
    transactionId.writeUInt32BE(this.#counter, 8);
    return encodeStun({
      method: StunMethod.data,
      cls: StunClass.indication,
      transactionId,
      attributes: [
        { type: StunAttr.XOR_PEER_ADDRESS, value: encodeAddress(from.relayed, transactionId) },
        { type: StunAttr.DATA, value: data },
      ],
    });
  }
}
