/** Reads `switchboard_cluster_messages_received_total` from each node's GET /metrics. */
export async function clusterMessages(urls: string[]): Promise<number[]> {
  return Promise.all(
    urls.map(async (url) => {
      const text = await (await fetch(`${url}/metrics`)).text();
      const line = text.split('\n').find((l) => l.startsWith('switchboard_cluster_messages_received_total'));
      return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
    }),
  );
}
