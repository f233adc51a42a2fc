// The `AI` binding `conformance worker` gives a Worker: env.AI.run(model, inputs) as a
// POST to a Workers AI REST route (`{base}/accounts/{id}/ai/run/{model}`) of any implementation.
//
// workerd loads this file as an internal module of an extension and calls the default
// export with the inner bindings of a `wrapped` binding: `fetcher` (a network service),
// and `baseUrl`, `accountId`, `token` (read from the environment of the workerd process,
// so that no secret is ever written into the config file).
//
// It returns what Cloudflare's binding returns to Worker code (workerd's
// src/cloudflare/internal/ai-api.ts): the `result` object for a JSON answer, the body's
// ReadableStream for `stream: true`, and for an error an `InferenceUpstreamError` whose
// message is "CODE: MESSAGE" from the error envelope's first entry. Unlike Cloudflare's
// binding, which talks to an internal service that never answers a malformed success,
// this one reads a public REST route: an answer that is not the contract's success
// envelope (or not the media type asked for) is thrown too, with a message saying what
// came back, rather than handed to the Worker as if it were a result. See docs/worker.md.

export class InferenceUpstreamError extends Error {
  constructor(message, name = "InferenceUpstreamError") {
    super(message);
    this.name = name;
  }
}

const SHOWN_CHARS = 300; // an error message quotes what the target sent: keep it to a line

function shown(text) {
  return text.length > SHOWN_CHARS ? `${text.slice(0, SHOWN_CHARS)}... (${text.length} characters)` : text;
}

function mediaType(response) {
  return (response.headers.get("content-type") ?? "").split(";", 1)[0].trim().toLowerCase();
}

class Ai {
  #fetcher;
  #base;
  #account;
  #token;
  lastRequestId = null;
  lastRequestHttpStatusCode = null;
  lastRequestInternalStatusCode = null;

  constructor(env) {
    this.#fetcher = env.fetcher;
    this.#base = (env.baseUrl ?? "").replace(/\/+$/, "");
    this.#account = env.accountId ?? "";
    this.#token = env.token ?? null;
  }

  async run(model, inputs, options = {}) {
    // The model goes on the wire literally (`/ai/run/@hf/thebloke/...`), as the page's curl
    // and requests examples send it: the live API refuses a %2F-encoded name.
    const url = `${this.#base}/accounts/${this.#account}/ai/run/${model}`;
    const headers = { "content-type": "application/json" };
    if (this.#token) {
      headers.authorization = `Bearer ${this.#token}`;
    }
    const init = { method: "POST", headers, body: JSON.stringify(inputs) };
    if (options.signal) {
      init.signal = options.signal;
    }
    let response;
    try {
      response = await this.#fetcher.fetch(url, init);
    } catch (error) {
      // workerd ends the Worker's own response without a word when a subrequest's connection
      // fails and the error is left to propagate; a thrown Error gives the Worker a 500 instead.
      throw new InferenceUpstreamError(`could not reach the target: POST ${url}: ${error}`);
    }
    this.lastRequestId = response.headers.get("cf-ai-req-id");
    this.lastRequestHttpStatusCode = response.status;
    this.lastRequestInternalStatusCode = null;
    if (options.returnRawResponse) {
      return response;
    }
    if (!response.ok || !response.body) {
      throw await this.#parseError(response);
    }
    const type = mediaType(response);
    if (inputs?.stream) {
      if (type !== "text/event-stream") {
        const text = await response.text();
        throw new InferenceUpstreamError(
          `the target answered a streamed request with ${response.status} and Content-Type ` +
            `${JSON.stringify(type)}, not text/event-stream: ${shown(text)}`,
        );
      }
      return response.body;
    }
    const text = await response.text();
    if (type !== "application/json") {
      throw new InferenceUpstreamError(
        `the target answered ${response.status} with Content-Type ${JSON.stringify(type)}, ` +
          `not application/json: ${shown(text)}`,
      );
    }
    let envelope;
    try {
      envelope = JSON.parse(text);
    } catch {
      throw new InferenceUpstreamError(`the target answered ${response.status} with a body that is not JSON: ${shown(text)}`);
    }
    const result = envelope?.result;
    if (envelope?.success !== true || result === null || typeof result !== "object" || Array.isArray(result)) {
      throw new InferenceUpstreamError(
        `the target answered ${response.status} without a success envelope ` +
          `({result: object, success: true, ...}): ${shown(text)}`,
      );
    }
    return result;
  }

  async #parseError(response) {
    const text = await response.text();
    let envelope;
    try {
      envelope = JSON.parse(text);
    } catch {
      return new InferenceUpstreamError(text);
    }
    const first = Array.isArray(envelope?.errors) ? envelope.errors[0] : undefined;
    if (first && typeof first === "object" && "code" in first) {
      this.lastRequestInternalStatusCode = first.code;
      return new InferenceUpstreamError(`${first.code}: ${first.message}`);
    }
    // Cloudflare's binding hands over the body as it came when it cannot read an error out of it.
    return new InferenceUpstreamError(text);
  }
}

export default function makeBinding(env) {
  return new Ai(env);
}
