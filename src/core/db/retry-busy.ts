/**
 * Background writes that must land (a delivery's outcome, a receipt's event)
 * meet another process's write lock now and then: the host's connections never
 * wait for it. Tried again after growing pauses, for up to `budgetMs`; then the
 * error stands.
 */
import { isRetryableWriteError } from "./retryable.js";

export async function retryBusy<T>(write: () => Promise<T>, budgetMs = 5_000): Promise<T> {
  const deadline = Date.now() + budgetMs;
  for (let attempt = 1; ; attempt++) {
    try {
      return await write();
    } catch (error) {
      const pause = Math.min(250, 5 * 2 ** attempt) * (0.5 + Math.random() / 2);
      if (!isRetryableWriteError(error) || Date.now() + pause > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, pause));
    }
  }
}
