/** The one way a failure is told to the user. */
import { ApiError } from './api';

/** What to show the user for a failure: the server's detail and hint, else the error's text. */
export function errorMessage(error: unknown): string {
  return error instanceof ApiError ? error.userMessage : String(error);
}
