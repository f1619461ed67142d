// Package dockerapi holds Docker's JSON shapes as `docker inspect`, `docker ps` and
// `docker images` print them (Docker 20.10's field names, order and zero values), the
// conversions from the sandbox's records into them, and the --filter rules of the
// list commands. The command line (cmd/) renders these; it builds none of them itself.
//
// Areas that add to a container (networks, volumes) fill their part of ContainerJSON in
// their own file here: NetworkSettings and Mounts have Docker's types already, with
// zero values until then.
package dockerapi
