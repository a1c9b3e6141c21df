/**
 * A list the server hands out page by page, newest first (`limit`, `cursor`, `next_cursor`): the first page,
 * polled and replaced as it changes, then the older pages the user asked for ("Load more"), kept as they were
 * read. A first page that moved on (newer items came) pushes nothing out of what was listed: once the user read
 * further, the items that left the first page stay listed above the older pages.
 */
export class PagedList<T> {
  /**
   * @param key tells items apart (the same item in two pages is listed once, as the newer read has it)
   */
  constructor(private readonly key: (item: T) => string | number) {}

  /** Every item listed, newest first. */
  get items(): T[] {
    return this._items;
  }

  /** Whether the server has older items than those listed. */
  get hasMore(): boolean {
    return this._cursor !== null;
  }

  /** Where the next older page starts (null: the list ends with the items listed). */
  get cursor(): string | null {
    return this._cursor;
  }

  /** A new read of the first page (`next`: its `next_cursor`; a server from before pages sends none). */
  setFirst(items: T[], next: string | null): void {
    if (!this._readMore) {
      this._items = items;
      this._cursor = next ?? null;
      return;
    }
    const fresh = new Set(items.map(this.key));
    this._items = [...items, ...this._items.filter(item => !fresh.has(this.key(item)))];
  }

  /** An older page, read from `cursor` (`next`: its `next_cursor`). */
  addMore(items: T[], next: string | null): void {
    const listed = new Set(this._items.map(this.key));
    this._items = [...this._items, ...items.filter(item => !listed.has(this.key(item)))];
    this._cursor = next ?? null;
    this._readMore = true;
  }

  /** An item the server just made, listed first until a new read of the first page has it. */
  prepend(item: T): void {
    if (!this._items.some(listed => this.key(listed) === this.key(item))) {
      this._items = [item, ...this._items];
    }
  }

  /** Forget everything (another list is read from now on). */
  clear(): void {
    this._items = [];
    this._cursor = null;
    this._readMore = false;
  }

  private _items: T[] = [];
  private _cursor: string | null = null;
  private _readMore = false;
}
