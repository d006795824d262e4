Console.Error.WriteLine("coap-gateway: not built yet");
return 1;
