// The model page's "Worker - Streaming" example, copied unchanged (only the page's 4-space
// margin removed). Source: https://developers.cloudflare.com/workers-ai/models/llama-2-13b-chat-awq/
// (the project's seed: shared/seed/workers-ai-llama-2-13b-chat-awq.txt, section "Usage").
// esbuild strips the TypeScript annotations when `conformance worker` serves it.
export interface Env {
AI: Ai;
}
export default {
async fetch(request, env): Promise<Response> {
const messages = [
{ role: "system", content: "You are a friendly assistant" },
{
role: "user",
content: "What is the origin of the phrase Hello, World",
},
];
const stream = await env.AI.run("@hf/thebloke/llama-2-13b-chat-awq", {
messages,
stream: true,
});
return new Response(stream, {
headers: { "content-type": "text/event-stream" },
});
},
} satisfies ExportedHandler<Env>;
