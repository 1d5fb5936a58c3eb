//! One module per subcommand.

pub(crate) mod bench;
pub(crate) mod demo;
pub(crate) mod dsk;
pub(crate) mod emulate;
pub(crate) mod parse;
pub(crate) mod register;
pub(crate) mod signin;
pub(crate) mod uac;
pub(crate) mod uas;
