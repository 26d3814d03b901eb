export {
  PROXY_TOKEN_HEADER,
  type ProxyOptions,
  type ProxySeams,
  type RequestRecorder,
  type RunningProxy,
  startProxy,
} from "./server.ts";
export { authorizationBinding } from "./binding.ts";
