"""SFTP for cameras (paramiko), split the way paramiko splits it.

`server.CameraSSHServer` (ServerInterface: who may log in), `interface.JailedSFTPServer`
(SFTPServerInterface: file operations inside the jail), `handle.UploadHandle` (one file being
uploaded; its ``close()`` is where an upload completes), `protocol.TunedSFTPServer` (the few
private paramiko methods we override, in one place) and `listener.SftpService` (accepting
connections, tuning each transport, timeouts).
"""
