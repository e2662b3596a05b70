/** A binary min-heap: holds arrivals that belong to a later time slice than the one generating them. */
export class MinHeap<T> {
  readonly #items: T[] = [];
  readonly #before: (a: T, b: T) => boolean;

  constructor(before: (a: T, b: T) => boolean) {
    this.#before = before;
  }

  get size(): number {
    return this.#items.length;
  }

  peek(): T | undefined {
    return this.#items[0];
  }

  push(item: T): void {
    const items = this.#items;
    items.push(item);
    let child = items.length - 1;
    while (child > 0) {
      const parent = (child - 1) >> 1;
      if (!this.#before(items[child] as T, items[parent] as T)) break;
      this.#swap(child, parent);
      child = parent;
    }
  }

  pop(): T | undefined {
    const items = this.#items;
    const top = items[0];
    const last = items.pop();
    if (items.length === 0 || last === undefined) return top;
    items[0] = last;
    let parent = 0;
    for (;;) {
      const left = 2 * parent + 1;
      const right = left + 1;
      let smallest = parent;
      if (
        left < items.length &&
        this.#before(items[left] as T, items[smallest] as T)
      )
        smallest = left;
      if (
        right < items.length &&
        this.#before(items[right] as T, items[smallest] as T)
      )
        smallest = right;
      if (smallest === parent) break;
      this.#swap(parent, smallest);
      parent = smallest;
    }
    return top;
  }

  #swap(a: number, b: number): void {
    const items = this.#items;
    const held = items[a] as T;
    items[a] = items[b] as T;
    items[b] = held;
  }
}
