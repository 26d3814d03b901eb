/**
 * A loopback stand-in for a corporate HTTP proxy: it accepts TCP connections, keeps every byte
 * it is sent (request lines, CONNECT targets, headers, bodies) and answers 502. A session routed
 * correctly never gives it anything but CONNECT lines to real hosts.
 */

export interface ProxyRecorder {
  url: string;
  /** Every connection's bytes, as text, in the order they were accepted. */
  connections: string[];
  /** Proxy variables pointing at this recorder, in both spellings. */
  env: Record<string, string>;
  stop(): void;
}

export const PROXY_VARIABLES = [
  "HTTP_PROXY",
  "http_proxy",
  "HTTPS_PROXY",
  "https_proxy",
  "ALL_PROXY",
  "all_proxy",
];

export function startProxyRecorder(): ProxyRecorder {
  const connections: string[] = [];
  const decoder = new TextDecoder();
  const listener = Bun.listen<{ index: number }>({
    hostname: "127.0.0.1",
    port: 0,
    socket: {
      open(socket) {
        socket.data = { index: connections.push("") - 1 };
      },
      data(socket, chunk) {
        connections[socket.data.index] += decoder.decode(chunk, { stream: true });
        // Whatever was asked, the "proxy" fails it; a client must not get through this way.
        if (connections[socket.data.index].includes("\r\n\r\n")) {
          socket.end("HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
        }
      },
    },
  });
  const url = `http://127.0.0.1:${listener.port}`;
  return {
    url,
    connections,
    env: Object.fromEntries(PROXY_VARIABLES.map((name) => [name, url])),
    stop: () => listener.stop(true),
  };
}
