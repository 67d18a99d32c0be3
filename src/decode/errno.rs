//! Names of the negative errno values Ceph puts in results (osd_op_reply
//! result and rvals, mon_command_ack r, auth frames). Ceph sends Linux
//! values on the wire (other hosts translate theirs, common/errno.cc), so
//! the names are Linux's (asm-generic/errno-base.h, asm-generic/errno.h).
//! Where Ceph gives a value its own meaning the comment says so
//! (include/rados.h, osd/osd_types.h).

/// Linux errno numbers and their names.
const NAMES: &[(i64, &str)] = &[
    (1, "EPERM"),
    (2, "ENOENT"),
    (3, "ESRCH"),
    (4, "EINTR"),
    (5, "EIO"),
    (6, "ENXIO"),
    (7, "E2BIG"),
    (8, "ENOEXEC"),
    (9, "EBADF"),
    (10, "ECHILD"),
    (11, "EAGAIN"),
    (12, "ENOMEM"),
    (13, "EACCES"),
    (14, "EFAULT"),
    (15, "ENOTBLK"),
    (16, "EBUSY"),
    (17, "EEXIST"),
    (18, "EXDEV"),
    (19, "ENODEV"),
    (20, "ENOTDIR"),
    (21, "EISDIR"),
    (22, "EINVAL"),
    (23, "ENFILE"),
    (24, "EMFILE"),
    (25, "ENOTTY"),
    (26, "ETXTBSY"),
    (27, "EFBIG"),
    (28, "ENOSPC"),
    (29, "ESPIPE"),
    (30, "EROFS"),
    (31, "EMLINK"),
    (32, "EPIPE"),
    (33, "EDOM"),
    (34, "ERANGE"),
    (35, "EDEADLK"),
    (36, "ENAMETOOLONG"),
    (37, "ENOLCK"),
    (38, "ENOSYS"),
    (39, "ENOTEMPTY"),
    (40, "ELOOP"),
    (42, "ENOMSG"),
    (43, "EIDRM"),
    (61, "ENODATA"),
    (62, "ETIME"),
    (71, "EPROTO"),
    (74, "EBADMSG"),
    (75, "EOVERFLOW"),
    (84, "EILSEQ"),
    // Ceph's EOLDSNAPC (rados.h: ORDERSNAP set, the writer's snapc is old).
    (85, "ERESTART"),
    (90, "EMSGSIZE"),
    (95, "EOPNOTSUPP"),
    (103, "ECONNABORTED"),
    (104, "ECONNRESET"),
    (107, "ENOTCONN"),
    // Ceph's EBLOCKLISTED (rados.h).
    (108, "ESHUTDOWN"),
    (110, "ETIMEDOUT"),
    (111, "ECONNREFUSED"),
    (113, "EHOSTUNREACH"),
    (114, "EALREADY"),
    (115, "EINPROGRESS"),
    (116, "ESTALE"),
    (122, "EDQUOT"),
    (125, "ECANCELED"),
];

/// The name of a result: `-95` is `EOPNOTSUPP`; 0 and positive values
/// (success, byte counts) and unknown numbers have none.
pub fn name(result: i64) -> Option<&'static str> {
    let e = result.checked_neg()?;
    NAMES.iter().find(|(n, _)| *n == e).map(|(_, s)| *s)
}

/// The negative result an errno name stands for (any case): `EINVAL` is -22.
pub fn from_name(s: &str) -> Option<i64> {
    NAMES
        .iter()
        .find(|(_, n)| n.eq_ignore_ascii_case(s))
        .map(|(v, _)| -v)
}

/// A result as shown in tables and trees: `0`, `-95 EOPNOTSUPP`, `-4000`.
pub fn text(result: i64) -> String {
    match name(result) {
        Some(n) => format!("{result} {n}"),
        None => result.to_string(),
    }
}

#[cfg(test)]
#[allow(clippy::indexing_slicing, clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn names_and_values() {
        // asm-generic/errno.h: EOPNOTSUPP 95; errno-base.h: EINVAL 22, ENOENT 2.
        assert_eq!(name(-95), Some("EOPNOTSUPP"));
        assert_eq!(name(-22), Some("EINVAL"));
        assert_eq!(name(-2), Some("ENOENT"));
        assert_eq!(name(0), None);
        assert_eq!(name(4096), None);
        assert_eq!(name(i64::MIN), None);
        assert_eq!(from_name("eopnotsupp"), Some(-95));
        assert_eq!(from_name("ENODATA"), Some(-61));
        assert_eq!(from_name("nothing"), None);
        assert_eq!(text(-95), "-95 EOPNOTSUPP");
        assert_eq!(text(0), "0");
        let mut seen = std::collections::HashSet::new();
        assert!(NAMES
            .iter()
            .all(|(v, n)| seen.insert(*v) && seen.insert(-v) && !n.is_empty()));
    }
}
