// Serves the model page's two Worker examples side by side, each a Worker of its own with
// its own `AI` binding: the "Worker" example at / and the "Worker - Streaming" one at /stream.
export default {
  async fetch(request, env) {
    const { pathname } = new URL(request.url);
    if (pathname === "/") {
      return env.JSON_EXAMPLE.fetch(request);
    }
    if (pathname === "/stream") {
      return env.STREAM_EXAMPLE.fetch(request);
    }
    return new Response("Not found: the page's examples are at / (JSON) and /stream (streaming).\n", {
      status: 404,
    });
  },
};
