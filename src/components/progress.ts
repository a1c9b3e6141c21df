/** A notification that follows a server action: pending, then what came of it (or why it failed). */
import { Notification } from '@jupyterlab/apputils';
import { ReadonlyJSONValue } from '@lumino/coreutils';

import { ApiError } from '../api';

export interface IProgressMessages<T> {
  pending: string;
  success: (value: T) => string;
  /** The message for a failure that is not the server's explained error. */
  failure: (reason: string) => string;
}

/**
 * Show the action's progress until it settles; resolve to its value, or null when it failed
 * (the notification says why: the server's explanation and hint for an `ApiError`).
 */
export async function withProgress<T>(pending: Promise<T>, messages: IProgressMessages<T>): Promise<T | null> {
  Notification.promise(pending as unknown as Promise<ReadonlyJSONValue>, {
    pending: { message: messages.pending, options: { autoClose: false } },
    success: { message: (value: unknown) => messages.success(value as T), options: { autoClose: 5000 } },
    error: {
      message: (reason: unknown) =>
        reason instanceof ApiError ? reason.userMessage : messages.failure(String(reason)),
      options: { autoClose: false }
    }
  });
  try {
    return await pending;
  } catch {
    return null;
  }
}
