// The model page's "Worker" example, copied unchanged (only the page's 4-space
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
const response = await env.AI.run("@hf/thebloke/llama-2-13b-chat-awq", { messages });
return Response.json(response);
},
} satisfies ExportedHandler<Env>;
