using Gateway.Host;

return await GatewayApplication.RunAsync(args);
