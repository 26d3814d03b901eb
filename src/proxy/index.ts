export {
  PROXY_TOKEN_HEADER,
  type ProxyOptions,
  type ProxySeams,
  type RunningProxy,
  startProxy,
} from "./server.ts";
