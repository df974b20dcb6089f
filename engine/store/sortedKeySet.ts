/**
 * An in-memory sorted set of keys, for stores whose medium cannot list keys
 * by prefix cheaply (a directory of files, a Map). Order is UTF-16 code unit
 * order, which is what `<` on strings and IndexedDB both use, so every Store
 * returns keys in the same order.
 */
export interface SortedKeySet {
  readonly size: number
  has(key: string): boolean
  add(key: string): void
  delete(key: string): void
  /** Keys that start with `prefix`, ascending; a fresh array. */
  withPrefix(prefix: string): string[]
}

export function createSortedKeySet(initial: Iterable<string> = []): SortedKeySet {
  const members = new Set<string>(initial)
  // Sorted once here; afterwards kept sorted by binary-search insertion, which
  // costs a memmove per new key but keeps prefix scans O(log n + matches).
  const sorted = [...members].sort(compare)

  function lowerBound(key: string): number {
    let lo = 0
    let hi = sorted.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (sorted[mid]! < key) lo = mid + 1
      else hi = mid
    }
    return lo
  }

  return {
    get size(): number {
      return sorted.length
    },
    has(key: string): boolean {
      return members.has(key)
    },
    add(key: string): void {
      if (members.has(key)) return
      members.add(key)
      sorted.splice(lowerBound(key), 0, key)
    },
    delete(key: string): void {
      if (!members.delete(key)) return
      sorted.splice(lowerBound(key), 1)
    },
    withPrefix(prefix: string): string[] {
      const out: string[] = []
      for (let i = lowerBound(prefix); i < sorted.length; i++) {
        const key = sorted[i]!
        if (!key.startsWith(prefix)) break
        out.push(key)
      }
      return out
    },
  }
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}
