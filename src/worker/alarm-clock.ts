/**
 * The object's one alarm, shared: a Durable Object has a single alarm, and
 * several parts need it (the stream hub's hello and silence deadlines, and
 * the background work: scheduled changes, webhook deliveries, receipt
 * checks). Each asks to be woken by a time (`wakeBy`); the alarm stays set for
 * the earliest. When it fires, the object runs every part, and each asks again
 * for its next time. A part woken early finds nothing due and asks again.
 * https://developers.cloudflare.com/durable-objects/api/alarms/
 */
export class AlarmClock {
  readonly #storage: DurableObjectStorage;
  /** The alarm as last set or read; undefined until read after a wake. */
  #at: number | null | undefined;

  constructor(storage: DurableObjectStorage) {
    this.#storage = storage;
  }

  /** Makes sure the alarm fires at `at` or before. */
  async wakeBy(at: number): Promise<void> {
    if (this.#at === undefined) {
      const stored = await this.#storage.getAlarm();
      this.#at ??= stored; // unless set meanwhile
    }
    if (this.#at != null && this.#at <= at) return;
    this.#at = at;
    await this.#storage.setAlarm(at);
  }

  /** The alarm fired: the runtime clears it as it does. */
  fired(): void {
    this.#at = null;
  }
}
