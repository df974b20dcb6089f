/**
 * A min-heap by expiry whose items know their slot, so that removing any item
 * (custody taken, evicted or replaced) is O(log n), not a scan.
 */
export interface Slotted {
  expiresAt: number
  /** Index in the heap, kept by the heap. */
  slot: number
}

export interface ExpiryHeap<T extends Slotted> {
  /** The item that expires first. */
  peek(): T | undefined
  push(item: T): void
  remove(item: T): void
  /** Restores order after `item`'s expiry changed or it moved to `slot`. */
  update(item: T, slot?: number): void
}

export function createExpiryHeap<T extends Slotted>(): ExpiryHeap<T> {
  return new Heap<T>()
}

class Heap<T extends Slotted> implements ExpiryHeap<T> {
  private readonly items: T[] = []
  peek(): T | undefined {
    return this.items[0]
  }
  push(entry: T): void {
    this.items.push(entry)
    this.up(this.items.length - 1, entry)
  }
  remove(entry: T): void {
    const last = this.items.pop()!
    if (last === entry) return
    this.items[entry.slot] = last
    this.update(last, entry.slot)
  }
  /** Restores order after `entry`'s expiry changed or it moved to `slot`. */
  update(entry: T, slot = entry.slot): void {
    const i = this.up(slot, entry)
    if (i === slot) this.down(slot, entry)
  }
  private place(i: number, entry: T): void {
    this.items[i] = entry
    entry.slot = i
  }
  private up(i: number, entry: T): number {
    while (i > 0) {
      const parent = this.items[(i - 1) >> 1]!
      if (parent.expiresAt <= entry.expiresAt) break
      this.place(i, parent)
      i = (i - 1) >> 1
    }
    this.place(i, entry)
    return i
  }
  private down(i: number, entry: T): void {
    const n = this.items.length
    for (;;) {
      let child = 2 * i + 1
      if (child >= n) break
      const right = this.items[child + 1]
      if (right && right.expiresAt < this.items[child]!.expiresAt) child++
      const next = this.items[child]!
      if (entry.expiresAt <= next.expiresAt) break
      this.place(i, next)
      i = child
    }
    this.place(i, entry)
  }
}

