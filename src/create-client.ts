import { ConfigError } from "./core/errors.js";
import { VENDOR_IDS } from "./core/vendor-id.js";
import { createCortexClient, type CortexClient, type CortexOptions } from "./vendors/cortex.js";
import { createDatafoldClient, type DatafoldClient, type DatafoldOptions } from "./vendors/datafold.js";
import { createJitsudoClient, type JitsudoClient, type JitsudoOptions } from "./vendors/jitsudo.js";
import { createPylonClient, type PylonClient, type PylonOptions } from "./vendors/pylon.js";
import { createZendeskClient, type ZendeskClient, type ZendeskOptions } from "./vendors/zendesk.js";

/** `createClient`'s options: `vendor` picks the factory, the rest are that vendor's options. */
export type ClientOptions =
  | ({ vendor: "pylon" } & PylonOptions)
  | ({ vendor: "zendesk" } & ZendeskOptions)
  | ({ vendor: "cortex" } & CortexOptions)
  | ({ vendor: "datafold" } & DatafoldOptions)
  | ({ vendor: "jitsudo" } & JitsudoOptions);

type ClientFor<O extends ClientOptions> = O extends { vendor: "pylon" }
  ? PylonClient
  : O extends { vendor: "zendesk" }
    ? ZendeskClient
    : O extends { vendor: "cortex" }
      ? CortexClient
      : O extends { vendor: "datafold" }
        ? DatafoldClient
        : JitsudoClient;

export type AnyClient = PylonClient | ZendeskClient | CortexClient | DatafoldClient | JitsudoClient;

/** A client for any vendor, chosen by `vendor` (useful when the vendor comes from configuration). */
export function createClient<O extends ClientOptions>(options: O): ClientFor<O> {
  if (options === null || typeof options !== "object") throw new ConfigError("options must be an object");
  const { vendor, ...rest } = options as ClientOptions;
  switch (vendor) {
    case "pylon":
      return createPylonClient(rest as PylonOptions) as ClientFor<O>;
    case "zendesk":
      return createZendeskClient(rest as ZendeskOptions) as ClientFor<O>;
    case "cortex":
      return createCortexClient(rest as CortexOptions) as ClientFor<O>;
    case "datafold":
      return createDatafoldClient(rest as DatafoldOptions) as ClientFor<O>;
    case "jitsudo":
      return createJitsudoClient(rest as JitsudoOptions) as ClientFor<O>;
    default:
      throw new ConfigError(`must be one of ${VENDOR_IDS.join(", ")} (got ${JSON.stringify(vendor)})`, "vendor");
  }
}
