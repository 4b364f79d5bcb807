"""The bytes of gRPC over HTTP/2, shared by both ends Tempo writes itself.

`sdk._h2_channel` (the blocking client of the `tempo` commands) and `devserver.h2_server`
(the server's transport) speak the same framing (:mod:`tempo_wire.frames`) and header
compression (:mod:`tempo_wire.hpack`). Nothing here imports anything but the standard library.
"""
