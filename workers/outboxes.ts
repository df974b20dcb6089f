/**
 * One outbox actor (machines/outbox.ts) per destination, wired to the
 * messenger (which keeps each envelope durable until its receipt) and to the
 * mesh (which carries each attempt). The actors decide when; this module only
 * looks up bytes and forwards what they decide.
 */
import { createActor } from 'xstate'
import type { ActorRefFrom, InspectionEvent } from 'xstate'
import { fromHex } from '../engine/bytes.ts'
import type { Clock } from '../engine/ports/index.ts'
import type { MessageView, Messenger, Outgoing } from '../engine/messenger/index.ts'
import { withAttempt } from '../engine/wire/index.ts'
import { outboxMachine } from '../machines/outbox.ts'
import type { OutboxItem, OutboxPolicy } from '../machines/outbox.ts'

type OutboxActor = ActorRefFrom<typeof outboxMachine>

export interface OutboxesInit {
  readonly messenger: Messenger
  readonly clock: Clock
  readonly jitter: () => number
  readonly policy?: OutboxPolicy
  /** Hands bytes this node originated to the mesh. */
  readonly send: (bytes: Uint8Array) => void
  /** Status changes to show (failed messages). */
  readonly onStatus: (messages: readonly MessageView[]) => void
  readonly inspect?: (event: InspectionEvent) => void
}

export interface Outboxes {
  /** Resumes what the store holds; call once, at start, before anything is enqueued. */
  restore(): Promise<void>
  enqueue(outgoing: Outgoing): void
  delivered(destination: string, envelopeId: string): void
  /** The messenger replaced an envelope (resealed its messages): stop sending it. */
  remove(destination: string, envelopeId: string): void
  /** The destination of an envelope this node is sending, if any (the mesh reports only ids). */
  destinationOf(envelopeId: string): string | undefined
  /** Like destinationOf, but only for an envelope's first transmission in this process: later ones change no status. */
  firstSent(envelopeId: string): string | undefined
  relayed(envelopeId: string): void
  /** A link or route to `destination` appeared: retry now rather than after the backoff. */
  reachable(destination: string): void
  /** Destinations with waiting envelopes. */
  destinations(): string[]
  stop(): void
}

export function createOutboxes(init: OutboxesInit): Outboxes {
  const { messenger } = init
  const actors = new Map<string, OutboxActor>()
  /** Envelope id → its destination and bytes (null: an earlier version's, unsendable). */
  const envelopes = new Map<string, { destination: string; bytes: Uint8Array | null; sent?: true }>()
  const report = (promise: Promise<readonly MessageView[]>): void => void promise.then(init.onStatus, () => undefined)

  const actorFor = (destination: string, items: readonly OutboxItem[] = []): OutboxActor => {
    const existing = actors.get(destination)
    if (existing) return existing
    const actor = createActor(outboxMachine, {
      clock: init.clock,
      ...(init.inspect ? { inspect: init.inspect } : {}),
      input: {
        destination,
        items,
        jitter: init.jitter,
        now: () => init.clock.now(),
        ...(init.policy ? { policy: init.policy } : {}),
        transmit: (envelopeId, attempt) => {
          const bytes = envelopes.get(envelopeId)?.bytes
          if (bytes) init.send(attempt === 0 ? bytes : withAttempt(bytes, attempt))
        },
        // Written at 2, 4, 8 … attempts, not each one: a backlog's retries would otherwise queue a
        // write each in front of the receipts that end them. A restart repeats at most as many as were made.
        attempted: (envelopeId, attempts) => {
          if (attempts > 1 && (attempts & (attempts - 1)) === 0) {
            void messenger.recordAttempt(destination, envelopeId, attempts).catch(() => undefined)
          }
        },
        failed: (envelopeId, reason) => {
          envelopes.delete(envelopeId)
          report(messenger.fail(destination, envelopeId, reason))
        },
      },
    })
    actors.set(destination, actor)
    actor.start()
    return actor
  }

  return {
    async restore() {
      const byDestination = new Map<string, OutboxItem[]>()
      for (const record of await messenger.outbox()) {
        envelopes.set(record.envelopeId, { destination: record.destination, bytes: record.envelope ? fromHex(record.envelope) : null })
        const item: OutboxItem = {
          envelopeId: record.envelopeId,
          expiresAt: record.expiresAt,
          attempts: record.attempts,
          relayed: record.relayed,
          sendable: record.envelope !== '',
        }
        byDestination.set(record.destination, [...(byDestination.get(record.destination) ?? []), item])
      }
      for (const [destination, items] of byDestination) actorFor(destination, items)
    },
    enqueue(outgoing) {
      envelopes.set(outgoing.messageId, { destination: outgoing.destination, bytes: outgoing.bytes })
      const item: OutboxItem = { envelopeId: outgoing.messageId, expiresAt: outgoing.expiresAt, attempts: 0, relayed: false }
      actorFor(outgoing.destination).send({ type: 'ENQUEUE', item })
    },
    delivered(destination, envelopeId) {
      envelopes.delete(envelopeId)
      actors.get(destination)?.send({ type: 'DELIVERED', envelopeId })
    },
    remove(destination, envelopeId) {
      envelopes.delete(envelopeId)
      actors.get(destination)?.send({ type: 'REMOVE', envelopeId })
    },
    destinationOf: (envelopeId) => envelopes.get(envelopeId)?.destination,
    firstSent(envelopeId) {
      const entry = envelopes.get(envelopeId)
      if (!entry || entry.sent) return undefined
      entry.sent = true
      return entry.destination
    },
    relayed(envelopeId) {
      const destination = envelopes.get(envelopeId)?.destination
      if (destination !== undefined) actors.get(destination)?.send({ type: 'RELAYED', envelopeId })
    },
    reachable(destination) {
      actors.get(destination)?.send({ type: 'REACHABLE' })
    },
    destinations: () => [...actors.keys()],
    stop() {
      for (const actor of actors.values()) actor.stop()
      actors.clear()
    },
  }
}
