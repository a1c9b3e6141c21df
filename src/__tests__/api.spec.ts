/** requestAPI: URL building, JSON bodies, and the server's {error, detail, hint} errors. */
import { ServerConnection } from '@jupyterlab/services';

import { ApiError, requestAPI } from '../api';

function settingsAnswering(status: number, body: string, seen: Request[] = []) {
  const fetch = jest.fn(async (request: Request) => {
    seen.push(request);
    return new Response(body, { status, headers: { 'Content-Type': 'application/json' } });
  });
  return ServerConnection.makeSettings({
    baseUrl: 'http://127.0.0.1:8888/base/',
    fetch: fetch as unknown as typeof window.fetch,
    Request: Request,
    Headers: Headers
  });
}

describe('requestAPI', () => {
  it('calls the namespaced route and parses the JSON reply', async () => {
    const seen: Request[] = [];
    const settings = settingsAnswering(200, '{"ok": true}', seen);
    const reply = await requestAPI<{ ok: boolean }>('health', {}, settings);
    expect(reply).toEqual({ ok: true });
    expect(new URL(seen[0].url).pathname).toBe('/base/ai4mlops-lab/api/health');
  });

  it('sends a plain object body as JSON', async () => {
    const seen: Request[] = [];
    const settings = settingsAnswering(200, '{}', seen);
    await requestAPI('compile', { method: 'POST', body: { path: 'a.ipynb' } }, settings);
    expect(seen[0].method).toBe('POST');
    expect(await seen[0].text()).toBe('{"path":"a.ipynb"}');
  });

  it("turns the server's error shape into an ApiError with a hint", async () => {
    const body = '{"error": "not_found", "detail": "No notebook x.ipynb.", "hint": "Save it first."}';
    const settings = settingsAnswering(404, body);
    const failure = requestAPI('compile', {}, settings);
    await expect(failure).rejects.toBeInstanceOf(ApiError);
    await expect(failure).rejects.toMatchObject({
      status: 404,
      body: { error: 'not_found', detail: 'No notebook x.ipynb.', hint: 'Save it first.' },
      userMessage: 'No notebook x.ipynb. Save it first.'
    });
  });

  it('explains a reply that is not the JSON error shape', async () => {
    const settings = settingsAnswering(502, '<html>Bad gateway</html>');
    await expect(requestAPI('health', {}, settings)).rejects.toMatchObject({
      status: 502,
      body: { error: 'http_error' }
    });
  });
});
